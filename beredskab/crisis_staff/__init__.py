"""The crisis staff: the role call-out rank by rank, who held which role (tenure), action cards."""
