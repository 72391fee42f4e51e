/**
 * `run_workflow` as a user gets it from the `tenfold` binary: listed by default, and a workflow
 * that fetches two local pages with `fetch_url` in parallel and analyses each with `text_stats`
 * (its text passed by reference) answers every step, with progress as steps finish.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client"
import { once } from "node:events"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startHttp, type TenfoldHttpProcess } from "../support/TenfoldProcess.ts"

let site: Server
let port = 0
let tenfold: TenfoldHttpProcess
let client: Client

beforeAll(async () => {
  site = createServer((req, res) => {
    res.setHeader("content-type", "text/html")
    const animal = req.url === "/cats" ? "cat" : "dog"
    res.end(`<html><head><title>${animal}s</title></head><body><p>The ${animal} runs. A ${animal} sleeps. One more ${animal}.</p></body></html>`)
  })
  site.listen(0, "127.0.0.1")
  await once(site, "listening")
  port = (site.address() as AddressInfo).port
  tenfold = await startHttp({ args: ["--fetch-allow-host", `127.0.0.1:${port}`] })
  client = new Client({ name: "tenfold-e2e", version: "1.0.0" })
  await client.connect(new StreamableHTTPClientTransport(new URL(tenfold.url)))
})
afterAll(async () => {
  await client?.close()
  await tenfold?.stop()
  await new Promise((resolve) => site?.close(resolve))
})

describe("run_workflow through the binary", () => {
  it("is listed by default", async () => {
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toContain("run_workflow")
  })

  it("fetches two pages in parallel and analyses each, with progress as steps finish", async () => {
    const progress: Array<number> = []
    const result = await client.callTool({
      name: "run_workflow",
      arguments: {
        steps: [
          { id: "cats", tool: "fetch_url", arguments: { url: `http://127.0.0.1:${port}/cats` } },
          { id: "dogs", tool: "fetch_url", arguments: { url: `http://127.0.0.1:${port}/dogs` } },
          { id: "catStats", tool: "text_stats", arguments: { text: "${steps.cats}", top: 1 } },
          { id: "dogStats", tool: "text_stats", arguments: { text: "${steps.dogs}", top: 1 } }
        ]
      }
    }, { onprogress: (p) => void progress.push(p.progress) })
    expect(result.isError).toBeFalsy()
    const answer = result.structuredContent as { ok: number; steps: Array<{ id: string; status: string; result: any }> } // any: per-tool shapes
    expect(answer.ok).toBe(4)
    const stats = (id: string) => answer.steps.find((s) => s.id === id)!.result
    expect(stats("catStats").topTerms[0].term).toBe("cat")
    expect(stats("dogStats").topTerms[0].term).toBe("dog")
    expect(stats("cats")).toContain("The cat runs.")
    expect(progress).toEqual([0, 1, 2, 3, 4])
  })
})
