"""Contact-centre shifts: the opening-hours split, steering approval and the volunteer call-out."""
