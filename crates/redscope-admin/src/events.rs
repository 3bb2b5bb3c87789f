//! The live-data bus: one broadcast channel per service carrying the app's event type, and a
//! [`Publisher`] per feature through which it sends its own event type (metrics ticks, channel
//! batches, stream entries, job progress, …) without knowing the app's. Features depend on the
//! bus; the bus knows no feature ([`crate::live::Event`] is where they are put together).

use std::sync::Arc;

use tokio::sync::broadcast;

/// How many events a slow subscriber may fall behind before it loses some (and is told how many).
pub const BUS_CAPACITY: usize = 1024;

/// A broadcast bus of `E`; cheap to clone.
pub struct Bus<E> {
    tx: broadcast::Sender<E>,
}

impl<E> Clone for Bus<E> {
    fn clone(&self) -> Self {
        Bus {
            tx: self.tx.clone(),
        }
    }
}

impl<E: Clone + Send + 'static> Bus<E> {
    /// A bus on which a subscriber may fall `capacity` events behind.
    pub fn new(capacity: usize) -> Self {
        Bus {
            tx: broadcast::channel(capacity).0,
        }
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<E> {
        self.tx.subscribe()
    }

    /// Sends `event` to every subscriber (a no-op when nobody listens).
    pub fn publish(&self, event: E) {
        let _ = self.tx.send(event);
    }

    /// A publisher of one feature's events `T`, each wrapped into the bus's type by `wrap`.
    pub fn publisher<T: 'static>(&self, wrap: fn(T) -> E) -> Publisher<T> {
        Publisher {
            sink: Arc::new(Wrapped {
                tx: self.tx.clone(),
                wrap,
            }),
        }
    }
}

/// Where a feature sends its events; cheap to clone.
pub struct Publisher<T> {
    sink: Arc<dyn Sink<T>>,
}

impl<T> Clone for Publisher<T> {
    fn clone(&self) -> Self {
        Publisher {
            sink: self.sink.clone(),
        }
    }
}

impl<T> Publisher<T> {
    /// Sends `event` to the bus's subscribers (a no-op when nobody listens).
    pub fn publish(&self, event: T) {
        self.sink.send(event);
    }

    /// True when someone subscribes: build costly events only then.
    pub fn is_listened(&self) -> bool {
        self.sink.listened()
    }
}

impl<T: 'static> Publisher<T> {
    /// A publisher connected to nothing (for a feature used on its own, as in unit tests).
    pub fn detached() -> Self {
        Publisher {
            sink: Arc::new(Nowhere),
        }
    }
}

trait Sink<T>: Send + Sync {
    fn send(&self, event: T);
    fn listened(&self) -> bool;
}

struct Wrapped<E, T> {
    tx: broadcast::Sender<E>,
    wrap: fn(T) -> E,
}

impl<E: Send, T> Sink<T> for Wrapped<E, T> {
    fn send(&self, event: T) {
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send((self.wrap)(event));
        }
    }

    fn listened(&self) -> bool {
        self.tx.receiver_count() > 0
    }
}

struct Nowhere;

impl<T> Sink<T> for Nowhere {
    fn send(&self, _event: T) {}

    fn listened(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    enum AppEvent {
        Tick(u32),
    }

    #[test]
    fn a_publisher_wraps_its_events_for_the_bus() {
        let bus = Bus::new(8);
        let ticks = bus.publisher(AppEvent::Tick);
        assert!(!ticks.is_listened());
        ticks.publish(1); // nobody listens: dropped
        let mut rx = bus.subscribe();
        assert!(ticks.is_listened());
        ticks.publish(2);
        assert_eq!(rx.try_recv().unwrap(), AppEvent::Tick(2));
        assert!(rx.try_recv().is_err());
        let nowhere = Publisher::<u32>::detached();
        nowhere.publish(3);
        assert!(!nowhere.is_listened());
    }
}
