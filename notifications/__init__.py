"""SMS: the gateway protocol and its adapters (Twilio, console, fake), the outbox dispatcher,
segment counting. The reply grammar is domain: `beredskab.replies`."""
