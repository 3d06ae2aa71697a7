"""SMS: gateway protocol and adapters, outbox dispatcher, reply parser, segment counting."""
