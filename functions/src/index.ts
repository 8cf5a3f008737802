// The app's entry point: importing each function module registers it with the Functions host.
import './functions/ingest';
import './functions/consume';
import './functions/stats';
import './functions/images';
import './functions/dashboard';
