/**
 * The tool catalog of the large-list benchmark cases: `BENCH_TOOLS` tools (default 1) whose
 * input is a raw JSON Schema, so Tenfold advertises each exactly as given and the ceiling server
 * can build the same `tools/list` bytes with plain `JSON.stringify`, without Tenfold's code.
 */

/** How many tools the server offers, and how many a `tools/list` page holds. */
export const toolCount = Number(process.env.BENCH_TOOLS ?? 1)
export const pageSize = Number(process.env.BENCH_PAGE_SIZE ?? 100)

/** The `Tool` objects as `tools/list` shows them (about 300 bytes each). */
export const wireTools = (count: number) =>
  Array.from({ length: count }, (_, i) => ({
    name: `tool_${String(i).padStart(4, "0")}`,
    description: `Looks up record ${i} in the inventory and answers its current state, owner and history`,
    inputSchema: {
      type: "object",
      properties: {
        id: { type: "string", description: "Record identifier" },
        limit: { type: "integer", minimum: 1, maximum: 100 },
        verbose: { type: "boolean" }
      },
      required: ["id"]
    },
    annotations: { readOnlyHint: true }
  }))
