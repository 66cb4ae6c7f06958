"""Capacity-aware targeting: who a registered model may suggest for help, and how many.

Pure Python (pandas, scikit-learn), no Django: storage passes in the
records the policy door allowed and a door to ask.
"""
