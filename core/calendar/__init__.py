"""The working calendar (public holidays, adjusted working weekends, working hours) and SLA clock."""
