"""The activation record every writer locks, its pages and reply codes, the playbook in force, and
telling people by SMS: the floor the aggregates above share."""
