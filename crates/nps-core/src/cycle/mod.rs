//! The NPS cycle's own rules, as pure decisions the cycle's guards call through `nps._check`:
//! accepting a response, closing intake, the action plan's items and their verification, and the
//! outbox.
