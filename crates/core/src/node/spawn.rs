//! Running background futures: the platform's spawner (the browser's `spawn_local`, a local pool in
//! native tests), as LDK's `FutureSpawner` and for the node's own tasks. Nothing here is `Send`.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use lightning::util::native_async::FutureSpawner;

pub type LocalTask = Pin<Box<dyn Future<Output = ()>>>;

/// Hands futures to the platform's executor; cheap to clone.
#[derive(Clone)]
pub struct TaskSpawner(Rc<dyn Fn(LocalTask)>);

impl TaskSpawner {
    pub fn new(spawn: impl Fn(LocalTask) + 'static) -> Self {
        Self(Rc::new(spawn))
    }

    /// Starts `task` in the background; it must not be awaited here.
    pub fn spawn_local(&self, task: impl Future<Output = ()> + 'static) {
        (self.0)(Box::pin(task));
    }
}

impl FutureSpawner for TaskSpawner {
    fn spawn<T: Future<Output = ()> + 'static>(&self, future: T) {
        self.spawn_local(future);
    }
}
