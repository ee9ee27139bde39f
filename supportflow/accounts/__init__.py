"""Accounts: people who sign in (users with a role, in one tenant), their API tokens, and the
login rate limit. The web layer (supportflow.web.auth) and the CLI (`supportflow user`) use
these functions; neither stores or checks a credential itself."""
