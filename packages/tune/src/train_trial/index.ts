export { TrainerTrialExecutor, trialTrainerConfig } from './executor.ts';
