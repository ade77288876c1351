/** The dashboard's entry: renders the app into the page's #app (index.html, written by scripts/build-dashboard.ts). */
import { render } from 'preact';
import { App } from './App.js';
import './style.css';

render(<App />, document.getElementById('app')!);
