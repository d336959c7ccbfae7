"""Presentation for the chapters and the ledger page: tables and sentences built from the run store."""
