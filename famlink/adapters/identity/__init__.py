"""Signing in through an OpenID Connect provider (GOV.UK One Login for parents)."""
