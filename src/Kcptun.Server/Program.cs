// kcptun-server: parse and run; everything else lives in Kcptun.Tunnel.
return await Kcptun.Tunnel.TunnelProgram.RunServerAsync(args).ConfigureAwait(false);
