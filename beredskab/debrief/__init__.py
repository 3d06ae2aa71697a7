"""The activation's debrief: what happened, how fast, what it cost (read side), and the crisis
leader's evaluation from the action card (the one thing it writes)."""
