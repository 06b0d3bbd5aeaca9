import { render } from "solid-js/web";
import { App } from "./app";
import { applyStoredTheme } from "./lib/theme";
import "./styles/base.css";
import "./styles/layout.css";
import "./styles/components.css";

applyStoredTheme();
render(() => <App />, document.getElementById("root")!);
