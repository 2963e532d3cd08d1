// The PostgreSQL store: being written (see the helper's brief).
