"""LangChain tools: thin wrappers over commerce commands and views, plus the tool registry.

The caller's principal and the message bus arrive through the LangGraph run-time context
(`tools.context.AgentContext`); tools never take them from model arguments.
"""
