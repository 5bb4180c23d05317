"""Use cases of Korrigo: each module owns one concept and talks to the models and AWS."""
