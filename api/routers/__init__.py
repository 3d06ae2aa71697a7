"""One router per resource; routers only translate between HTTP and one service call."""
