"""Storage for the registers: assessments, scoring runs and the notices families get."""
