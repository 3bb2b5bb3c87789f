//! Opening connections: a multiplexed [`redis::aio::ConnectionManager`] that reconnects by itself,
//! and dedicated connections for blocking commands and pub/sub.

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::AsyncConnectionConfig;

use crate::config::RedisConfig;
use crate::error::{Error, Result};

/// A redis-rs client for this configuration.
pub fn client(cfg: &RedisConfig) -> Result<redis::Client> {
    redis::Client::open(cfg.connection_info()?).map_err(Error::from)
}

/// The shared, auto-reconnecting connection used for ordinary commands.
///
/// Fails fast (within the connect timeout) when the server is unreachable or refuses the credentials.
pub async fn connect(cfg: &RedisConfig) -> Result<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(cfg.connect_timeout))
        .set_response_timeout(Some(cfg.response_timeout))
        .set_number_of_retries(1)
        .set_max_delay(std::time::Duration::from_secs(2));
    let fut = ConnectionManager::new_with_config(client(cfg)?, config);
    match tokio::time::timeout(cfg.connect_timeout + cfg.response_timeout, fut).await {
        Ok(res) => res.map_err(Error::from),
        Err(_) => Err(Error::Timeout(cfg.connect_timeout)),
    }
}

/// A dedicated multiplexed connection with no response timeout, for blocking commands
/// (`XREAD BLOCK`, `BLPOP`) that must not share the main connection's pipeline.
pub async fn connect_blocking(cfg: &RedisConfig) -> Result<MultiplexedConnection> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(cfg.connect_timeout))
        .set_response_timeout(None);
    client(cfg)?
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(Error::from)
}
