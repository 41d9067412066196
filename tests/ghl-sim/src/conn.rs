//! A kill switch per TCP connection, so the `drop-connection` fault can close a connection
//! without sending any response.
//!
//! axum 0.8 has no way for a handler to abort its connection: a handler always produces a
//! response and hyper writes it. So [`KillableListener`] wraps the listener and gives every
//! accepted stream a shared flag; [`ConnHandle`] (served through axum's `ConnectInfo`, see
//! `into_make_service_with_connect_info`) lets a handler set it. Once set, every read and
//! write on that stream fails, so hyper gives up writing the response and drops the
//! connection: the client sees the connection close with no status line at all. This needs
//! no `unsafe`, no raw file descriptor and no panic.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A listener whose connections can each be killed from a handler.
#[derive(Debug)]
pub(crate) struct KillableListener<L> {
    inner: L,
}

impl<L> KillableListener<L> {
    pub(crate) fn new(inner: L) -> Self {
        Self { inner }
    }
}

impl<L: Listener> Listener for KillableListener<L> {
    type Io = KillableIo<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (inner, addr) = self.inner.accept().await;
        (KillableIo { inner, killed: Arc::default() }, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// An accepted stream that fails every operation once its flag is set.
#[derive(Debug)]
pub(crate) struct KillableIo<I> {
    inner: I,
    killed: Arc<AtomicBool>,
}

impl<I> KillableIo<I> {
    fn check(&self) -> io::Result<()> {
        if self.killed.load(Ordering::Acquire) {
            Err(io::Error::new(io::ErrorKind::ConnectionAborted, "connection dropped by a ghl-sim fault"))
        } else {
            Ok(())
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for KillableIo<I> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for KillableIo<I> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The kill switch of the connection a request arrived on (axum `ConnectInfo`).
#[derive(Debug, Clone)]
pub(crate) struct ConnHandle {
    killed: Arc<AtomicBool>,
}

impl ConnHandle {
    /// Makes the connection fail from now on; the response being produced is never sent.
    pub(crate) fn kill(&self) {
        self.killed.store(true, Ordering::Release);
    }
}

impl<L: Listener> Connected<IncomingStream<'_, KillableListener<L>>> for ConnHandle {
    fn connect_info(stream: IncomingStream<'_, KillableListener<L>>) -> Self {
        Self { killed: stream.io().killed.clone() }
    }
}
