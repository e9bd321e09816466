//! What an image's entrypoint makes of its environment: the config it writes,
//! the lines it logs before the server starts, and when it refuses to start.
//!
//! bitnami/redis and bitnami/redis-sentinel as their READMEs and scripts
//! document them; the official `redis` image (and redis-stack-server-like
//! images) run their `command:`.
