// kcptun-client: parse and run; everything else lives in Kcptun.Tunnel.
return await Kcptun.Tunnel.TunnelProgram.RunClientAsync(args).ConfigureAwait(false);
