#!/usr/bin/env node
/**
 * The `sluice-cni` executable (cni.ts has the logic): env and stdin in, the CNI result or error out. Its
 * I/O: HTTP to the agent (node:http, no client library: a CNI plugin is started once per container, so
 * start-up time counts) and `nsenter --net=NETNS ip -j addr show dev IFNAME` for CHECK.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { parseIpAddrJson, runCni, type AgentResponse, type CniDeps } from './cni.js';

const TIMEOUT_MS = 60_000;

function request(method: string, url: string, body: unknown, token?: string): Promise<AgentResponse> {
  const u = new URL(url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(u, { method, headers, timeout: TIMEOUT_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('error', reject);
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = text === '' ? undefined : JSON.parse(text);
        } catch {
          // not JSON: keep the text for the error details
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function inspectIface(netns: string, ifname: string): ReturnType<CniDeps['inspectIface']> {
  return new Promise((resolve) => {
    execFile(
      'nsenter',
      [`--net=${netns}`, 'ip', '-j', 'addr', 'show', 'dev', ifname],
      { timeout: 10_000 },
      (err, stdout) => resolve(err ? undefined : parseIpAddrJson(stdout)),
    );
  });
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const outcome = await runCni(process.env, await readStdin(), { request, inspectIface });
process.stdout.write(outcome.stdout);
process.exitCode = outcome.exitCode;
