"""An activation from request to endorsement: ask the steering group, remind, endorse, hand over."""
