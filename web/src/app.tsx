import { Route, Router } from "@solidjs/router";
import { lazy } from "solid-js";
import { Shell } from "./components/shell";
import { NotFoundPage } from "./pages/not-found/not-found-page";
import { SignInPage } from "./pages/sign-in/sign-in-page";
// The landing page ships in the entry chunk: one round trip less before the board is usable.
import { BoardPage } from "./pages/tasks/board-page";

const TablePage = lazy(() => import("./pages/tasks/table-page").then((m) => ({ default: m.TablePage })));
const TaskDetailPage = lazy(() => import("./pages/task-detail/task-detail-page").then((m) => ({ default: m.TaskDetailPage })));
const PlansPage = lazy(() => import("./pages/plans/plans-page").then((m) => ({ default: m.PlansPage })));
const AgentsPage = lazy(() => import("./pages/agents/agents-page").then((m) => ({ default: m.AgentsPage })));
const ChatPage = lazy(() => import("./pages/chat/chat-page").then((m) => ({ default: m.ChatPage })));
const SettingsPage = lazy(() => import("./pages/settings/settings-page").then((m) => ({ default: m.SettingsPage })));

export function App() {
  return (
    <Router>
      <Route path="/sign-in" component={SignInPage} />
      <Route path="/" component={Shell}>
        <Route path="/" component={BoardPage} />
        <Route path="/tasks" component={TablePage} />
        <Route path="/tasks/:id" component={TaskDetailPage} />
        <Route path="/chat/:id?" component={ChatPage} />
        <Route path="/plans/:id?" component={PlansPage} />
        <Route path="/agents" component={AgentsPage} />
        <Route path="/settings" component={SettingsPage} />
        <Route path="*" component={NotFoundPage} />
      </Route>
    </Router>
  );
}
