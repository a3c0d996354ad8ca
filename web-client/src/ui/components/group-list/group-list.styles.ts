import { studentBaseStyles } from '../student-shared/student.styles.ts';

export const groupListStyles = [studentBaseStyles];
