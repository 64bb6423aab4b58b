//! The pyo3 layer. STUB.
