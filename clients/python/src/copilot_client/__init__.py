
""" A client library for accessing Realtor AI Copilot API """
from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
