/* libcrmkit.so is the static library linked whole; this file only gives the target a source. */
