//! Serving modules from archives: the module index, bytecode cache. STUB.
