"""Talking to a platform: the adapter protocols, the HTTP client and its retries, the safe XML
parser, reading ahead of the store.
"""
