"""The console's pages, one module per person's job."""
