/**
 * The proxy's own answers in dockerd's error shape (`{"message": "..."}`, application/json), so the docker CLI
 * prints `Error response from daemon: sluice proxy: ...` with the advice in it.
 */
export interface ProxyAnswer {
  status: number;
  body: string;
  contentType: string;
}

export function dockerError(status: number, message: string): ProxyAnswer {
  return {
    status,
    body: JSON.stringify({ message: `sluice proxy: ${message}` }),
    contentType: 'application/json',
  };
}

/** dockerd could not be reached (connect refused, no socket, TLS handshake failed...). */
export function unreachable(dockerUrl: string, err: NodeJS.ErrnoException): ProxyAnswer {
  const why = err.code ?? err.message;
  return dockerError(
    502,
    `cannot reach dockerd at ${dockerUrl} (${why}): is dockerd running? Start it, or point ` +
      `\`sluice proxy --docker\` at its socket (unix:///var/run/docker.sock or tcp://HOST:2376 with --docker-tls-*)`,
  );
}

export function tooLarge(what: string, cap: number): ProxyAnswer {
  return dockerError(
    413,
    `${what} is larger than ${cap} bytes, the most the proxy buffers to run adapters on it`,
  );
}

export function unauthorized(): ProxyAnswer {
  return dockerError(
    401,
    'missing or wrong bearer token: send `Authorization: Bearer <token>` (for the docker CLI, put ' +
      '{"HttpHeaders": {"Authorization": "Bearer <token>"}} in ~/.docker/config.json)',
  );
}
