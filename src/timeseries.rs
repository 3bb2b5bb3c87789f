//! Time series on sorted sets (in progress).
