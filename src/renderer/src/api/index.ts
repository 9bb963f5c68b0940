// The renderer's one way to the engine: window.api inside Electron (from the preload), or, in a
// browser (`fashion-studio studio --browser`), a client of the loopback bridge that carries the same
// contract over HTTP and server-sent events. Only Pinia stores import this module.
import {
  STUDIO_EVENTS,
  type StudioApi,
  type StudioCallArgs,
  type StudioCallResults,
  type StudioChannel,
  type StudioEvent,
  type StudioEvents
} from '@shared/studio-api'

const TOKEN_KEY = 'fashion-studio-token'

let api: StudioApi | undefined

/** The API for this window, created on first use. */
export function getApi(): StudioApi {
  api ??= window.api ?? createBridgeApi(takeToken())
  return api
}

/** True in a web browser (the loopback bridge), false in the desktop app. */
export function isBrowserMode(): boolean {
  return !window.api
}

/** The bridge token arrives once in the URL (?token=...); keep it for reloads, then hide it. */
function takeToken(): string {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl)
    url.searchParams.delete('token')
    window.history.replaceState(null, '', url.toString())
    return fromUrl
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? ''
}

function createBridgeApi(token: string): StudioApi {
  const listeners = new Map<StudioEvent, Set<(payload: unknown) => void>>()
  let source: EventSource | undefined

  const connect = (): void => {
    if (source) return
    source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`)
    for (const event of STUDIO_EVENTS) {
      source.addEventListener(event, (e) => {
        const payload = JSON.parse((e as MessageEvent<string>).data) as unknown
        listeners.get(event)?.forEach((l) => l(payload))
      })
    }
  }

  return {
    async call<C extends StudioChannel>(
      channel: C,
      args: StudioCallArgs<C>
    ): Promise<StudioCallResults[C]> {
      const res = await fetch(`/api/call/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(args)
      })
      const body = (await res.json()) as { result?: StudioCallResults[C]; error?: string }
      if (!res.ok) throw new Error(body.error ?? `${channel} failed (${res.status})`)
      return body.result as StudioCallResults[C]
    },
    on<E extends StudioEvent>(event: E, listener: (payload: StudioEvents[E]) => void): () => void {
      connect()
      const set = listeners.get(event) ?? new Set()
      listeners.set(event, set)
      const l = listener as (payload: unknown) => void
      set.add(l)
      return () => set.delete(l)
    }
  }
}
