"""The trend across activations (`GET /stats`): per period, exercises apart from real activations,
how fast they were endorsed and staffed, by whom, the shifts and what they cost. Reads only."""
