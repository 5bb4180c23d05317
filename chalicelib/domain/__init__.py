"""Pure rules of Korrigo: no I/O, no AWS, testable without mocks."""
