import { x } from "@tenfold/mcp"; console.log("ok", x)
