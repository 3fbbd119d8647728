"use client";

import { useEffect, useState } from "react";
import { io, type Socket } from "socket.io-client";

// One socket per tab, shared by every live widget; rooms are joined by the widgets that need them.
let shared: Socket | undefined;

function getSocket(): Socket {
  shared ??= io({ path: "/socket.io", transports: ["websocket", "polling"] });
  return shared;
}

export function useLiveSocket(): { socket: Socket | undefined; connected: boolean } {
  const [socket, setSocket] = useState<Socket>();
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const s = getSocket();
    setSocket(s);
    setConnected(s.connected);
    const on = () => setConnected(true);
    const off = () => setConnected(false);
    s.on("connect", on);
    s.on("disconnect", off);
    return () => {
      s.off("connect", on);
      s.off("disconnect", off);
    };
  }, []);
  return { socket, connected };
}
