"""Use cases that span aggregates: an inbound SMS routed to whichever page it answers, closing an
activation across call-outs, shifts and costs, delivery reports, and the status board."""
