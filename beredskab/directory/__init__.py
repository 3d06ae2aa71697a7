"""The directory: organisations, people, the crisis roster, steering group and contact persons."""
