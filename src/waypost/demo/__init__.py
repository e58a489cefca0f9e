"""The demo: Acme CRM, a small SaaS app served at /demo/ with the snippet installed as a customer
would install it, the guidance content that onboards its users, and simulated customers."""
