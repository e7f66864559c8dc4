"""Conversation sessions: turns and current search filters, in Redis (TTL) or in memory."""
