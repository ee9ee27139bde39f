"""The review console: server-rendered pages for reviewers."""
