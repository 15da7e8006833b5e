/** The console's entry: the page's one script, bundled by scripts/build.mjs into dist/console. */
import "./console.css";
import { render } from "preact";
import { App } from "./app.tsx";

const root = document.getElementById("app");
if (root) render(<App />, root);
