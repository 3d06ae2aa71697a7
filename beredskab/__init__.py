"""DDH Beredskab: the domain core (rules, models, services) of the crisis-activation service."""
