"""Sign-in accounts for parents and staff, and the step that ties a parent to a Person."""
